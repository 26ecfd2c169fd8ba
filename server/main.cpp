// partad: the Parta daemon. Everything lives in the parta_server library.
#include "app/daemon.hpp"

int main(int argc, char** argv) { return parta::app::run_partad(argc, argv); }
