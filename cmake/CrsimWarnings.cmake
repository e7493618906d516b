# One INTERFACE target carries the project's warning flags; every crsim target links it privately.
add_library(crsim_warnings INTERFACE)
add_library(crsim::warnings ALIAS crsim_warnings)
target_compile_options(crsim_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
                            -Wnon-virtual-dtor -Wold-style-cast -Wimplicit-fallthrough>
  $<$<BOOL:${CRSIM_WERROR}>:-Werror>)
