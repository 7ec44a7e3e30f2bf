# rapport_add_module(NAME SOURCES a.c b.c [MANIFEST a.json b.json] [OUTPUT_DIR dir])
#
# Builds a Rapport module: a shared object NAME.so that sees only
# server/include (the ABI), with every symbol hidden except the entry points
# the RP_MODULE_* macros export, and its migrations/*.sql copied beside it
# as NAME/migrations, where the loader looks for them.
#
# MANIFEST lists JSON fragments of the module's manifest; they are merged
# (merge_manifest.cmake) into a generated source that defines
# `const char rapport_module_manifest[]` for the module's rp_module_info_t.
set(RAPPORT_MERGE_MANIFEST ${CMAKE_CURRENT_LIST_DIR}/merge_manifest.cmake CACHE INTERNAL "")
function(rapport_add_module name)
  cmake_parse_arguments(M "" "OUTPUT_DIR" "SOURCES;MANIFEST" ${ARGN})
  if(NOT M_OUTPUT_DIR)
    set(M_OUTPUT_DIR ${RAPPORT_MODULE_OUTPUT_DIR})
  endif()
  if(M_MANIFEST)
    set(_manifest_c ${CMAKE_CURRENT_BINARY_DIR}/${name}_manifest.c)
    set(_files)
    foreach(f ${M_MANIFEST})
      get_filename_component(abs ${f} ABSOLUTE)
      list(APPEND _files ${abs})
    endforeach()
    string(REPLACE ";" "|" _joined "${_files}")
    add_custom_command(OUTPUT ${_manifest_c}
      COMMAND ${CMAKE_COMMAND} -DOUT=${_manifest_c} "-DFILES=${_joined}" -P ${RAPPORT_MERGE_MANIFEST}
      DEPENDS ${_files} ${RAPPORT_MERGE_MANIFEST}
      COMMENT "Merging the manifest of module ${name}"
      VERBATIM)
    list(APPEND M_SOURCES ${_manifest_c})
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
