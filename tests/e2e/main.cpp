// The e2e suite's runner: doctest's own main. The tests are in *_test.cpp beside this file,
// the processes they start in rig/.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
