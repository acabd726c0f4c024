#pragma once

// The name the drivers include today; the store registry lives in store/registry.hpp.
#include "store/registry.hpp"
