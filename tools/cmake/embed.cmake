# embed_files(OUTPUT <file.cpp> NAMESPACE <ns> BASE <dir> FILES <files...>)
# Generates a C++ source holding the files' bytes, so templates, styles and catalogues ship inside
# the binary (no install paths to get wrong on the box). Regenerated when any file changes.
set(PARTA_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_run.cmake)
function(embed_files)
  cmake_parse_arguments(E "" "OUTPUT;BASE" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUT=${E_OUTPUT} -DBASE=${E_BASE} "-DFILES=${E_FILES}"
            -P ${PARTA_EMBED_SCRIPT}
    DEPENDS ${E_FILES} ${PARTA_EMBED_SCRIPT}
    COMMENT "Embedding ${E_BASE}"
    VERBATIM)
endfunction()
