# tests: module
