"""Downloading model files from the Hub.

- ``safe_paths``: where a file from the network may land (``destination``).
- ``downloader``: one file, resumable (``Downloader``, ``DownloadRequest``, ``Progress``).
- ``manager``: the downloads list, a queue of items run a few at a time.
- ``hashing``, ``writeback``: sha256 and fsync, each on a thread beside the network.
- ``errors``: ``DownloadError`` (the user can act on it) and ``DownloadCancelled``.
"""
