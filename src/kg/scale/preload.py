"""Imported by the process pool's fork server before it forks any worker: loads the extractor there once, so every
worker starts with it (shared copy-on-write) instead of spending a second or two loading jieba and the CRF model —
which matters each time a pool is replaced after a worker died."""

from kg.scale.work import warm_up

warm_up()
