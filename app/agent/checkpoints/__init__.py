"""Checkpoints: what each turn changed in the workspace, and the way back.

* ``blobs`` — the :class:`BlobStore` Protocol the core keeps file contents in (content
  addressed by sha256; the store's is ``storage.checkpoints.SqliteBlobs``) and an
  in-memory one for sessions without a store.
* ``scan`` — the workspace's files by mtime and size, to find what a command changed,
  and git's index for the content a command overwrote; ``watch`` — the same answer from
  inotify, without a scan per command (Linux, a git work tree).
* ``recorder`` — :class:`TurnRecorder`, the tool pipeline's hook: the content of each
  file before the turn's first change, and one ``CheckpointRecorded`` at the turn's end.
* ``history`` — the fold of a session's events into its turns, their changes and the
  conversation before each (live, and from the stored events on resume).
* ``files`` — putting files back to a recorded state, refusing where they changed since.
* ``actions`` — :class:`Checkpoints`: undo, redo and rewind, each announced as an event.
"""
