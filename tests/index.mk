# tests: index
