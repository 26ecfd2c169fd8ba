#pragma once
// partad's whole life: parse options, open the data folder, optionally fill the demo school, serve
// until SIGINT/SIGTERM. main.cpp only calls this.
namespace parta::app {
int run_partad(int argc, char** argv);
}
