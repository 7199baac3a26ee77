import pytest
from process_support import real_core_class


@pytest.fixture
def require_core():
    cls = real_core_class()
    if cls is None:
        pytest.skip("the functional core (cyclesim.isa.core) is not built yet")
    return cls
