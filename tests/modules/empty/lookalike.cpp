// A shared library that is not a Karton module: it lacks the entry point.
// tests/e2e/module_loader_test.cpp checks that kartond says so.
extern "C" int karton_lookalike_answer() { return 42; }
