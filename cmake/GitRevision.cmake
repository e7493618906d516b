# Run at build time (cmake -P): writes OUTPUT defining CRSIM_GIT_REVISION as the short revision of
# SOURCE_DIR, with "-dirty" when the work tree has uncommitted changes, or "unknown" outside git.
# The file is rewritten only when the revision changes, so an unchanged tree rebuilds nothing.
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE revision
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
if(failed OR revision STREQUAL "")
  set(revision "unknown")
else()
  execute_process(COMMAND git diff --quiet HEAD WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE dirty ERROR_QUIET)
  if(dirty)
    string(APPEND revision "-dirty")
  endif()
endif()
set(content "#pragma once\n#define CRSIM_GIT_REVISION \"${revision}\"\n")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old_content)
endif()
if(NOT old_content STREQUAL content)
  file(WRITE "${OUTPUT}" "${content}")
endif()
