import warnings

# pipeline.types declares cpdef enums in a .pxd only; Cython warns once at import.
warnings.filterwarnings("ignore", message="enum class OpClass")
warnings.filterwarnings("ignore", message="enum class AccessKind")
