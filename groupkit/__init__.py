"""groupkit: a stateful mock server and a conformance kit for the UnaConnect Group API, from one contract."""

from __future__ import annotations

import warnings

__version__ = "0.1.0"

# connexion 3.3 imports starlette's TestClient, which warns about its httpx backend at import time; it is noise
# for a user starting the mock. Here, before any module of the package imports connexion.
warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
