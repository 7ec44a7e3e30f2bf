# rapport_add_module(NAME SOURCES a.c b.c [OUTPUT_DIR dir])
#
# Builds a Rapport module: a shared object NAME.so that sees only
# server/include (the ABI), with every symbol hidden except the entry points
# the RP_MODULE_* macros export, and its migrations/*.sql copied beside it
# as NAME/migrations, where the loader looks for them.
function(rapport_add_module name)
  cmake_parse_arguments(M "" "OUTPUT_DIR" "SOURCES" ${ARGN})
  if(NOT M_OUTPUT_DIR)
    set(M_OUTPUT_DIR ${RAPPORT_MODULE_OUTPUT_DIR})
  endif()
  add_library(rpmod_${name} MODULE ${M_SOURCES})
  target_include_directories(rpmod_${name} PRIVATE ${RAPPORT_SOURCE_DIR}/server/include)
  set_target_properties(rpmod_${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${name}
    LIBRARY_OUTPUT_DIRECTORY ${M_OUTPUT_DIR}
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  file(GLOB _migrations CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/migrations/*.sql)
  if(_migrations)
    set(_outs)
    foreach(f ${_migrations})
      get_filename_component(base ${f} NAME)
      set(out ${M_OUTPUT_DIR}/${name}/migrations/${base})
      add_custom_command(OUTPUT ${out}
        COMMAND ${CMAKE_COMMAND} -E copy_if_different ${f} ${out}
        DEPENDS ${f})
      list(APPEND _outs ${out})
    endforeach()
    add_custom_target(rpmod_${name}_migrations ALL DEPENDS ${_outs})
    add_dependencies(rpmod_${name} rpmod_${name}_migrations)
  endif()
  if(TARGET rapport)
    # Tests run the server with its modules: building it builds them.
    add_dependencies(rapport rpmod_${name})
  endif()
endfunction()
