"""Python view of the shared C enums in types.pxd (OpClass, AccessKind, StopReason)."""
