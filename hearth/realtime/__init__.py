"""The live side: the hub of one process, the socket service, client frames, presence, the broker and the registry."""
