# tests: module unit tests (refresh/config logic)
