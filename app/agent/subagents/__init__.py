"""Sub-agents: delegated tasks under a typed, versioned contract (``contract``), run by ``runner``."""
