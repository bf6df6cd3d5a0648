# CMake package of hpy: building HPy extensions from a CMakeLists.txt.
#
#   find_package(Python REQUIRED COMPONENTS Interpreter Development.Module)
#   execute_process(COMMAND "${Python_EXECUTABLE}" -m hpy.devel --cmake-dir
#                   OUTPUT_VARIABLE hpy_DIR OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
#   find_package(hpy CONFIG REQUIRED)
#   hpy_add_module(mymod mymod.c)               # ABI: the HPY_ABI cache variable
#   hpy_install_module(mymod DESTINATION .)     # the binary, and its stub loader if it needs one
#
# HPY_ABI (cache variable, default cpython) chooses the ABI of modules that do not name one:
# cpython, universal or hybrid (cmake -DHPY_ABI=universal; scikit-build-core:
# -Ccmake.define.HPY_ABI=universal). Every HPy-specific answer (include folders, -D flags,
# helper sources, file suffix, stub loader) comes from `python -m hpy.devel` of the interpreter
# found as Python_EXECUTABLE, so this file holds no knowledge of its own about HPy's layout.

if(NOT Python_EXECUTABLE)
  message(FATAL_ERROR "hpy: call find_package(Python COMPONENTS Interpreter Development.Module) "
                      "before find_package(hpy)")
endif()

set(HPY_ABI "cpython" CACHE STRING "HPy ABI of the modules that name none: cpython, universal or hybrid")
set_property(CACHE HPY_ABI PROPERTY STRINGS cpython universal hybrid)

execute_process(COMMAND "${Python_EXECUTABLE}" -m hpy.devel --version
                OUTPUT_VARIABLE _hpy_version OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE _hpy_rc ERROR_VARIABLE _hpy_err)
if(NOT _hpy_rc EQUAL 0)
  message(FATAL_ERROR "hpy: `${Python_EXECUTABLE} -m hpy.devel` failed (is hpy installed for "
                      "this interpreter?): ${_hpy_err}")
endif()
string(REGEX REPLACE " .*" "" hpy_VERSION "${_hpy_version}")

# _hpy_query(<out-var> <abi> <args>...): the answer of python -m hpy.devel, one list item per line.
function(_hpy_query out abi)
  execute_process(COMMAND "${Python_EXECUTABLE}" -m hpy.devel --abi "${abi}" ${ARGN}
                  OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "hpy: python -m hpy.devel --abi ${abi} ${ARGN}: ${err}")
  endif()
  string(REPLACE "\n" ";" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# hpy_add_module(<name> [ABI cpython|universal|hybrid] [STATIC_HELPERS] <sources>...)
#
# A loadable module target <name> built for the ABI: the binary is <name><suffix> (cpython: the
# interpreter's EXT_SUFFIX, universal: .hpy0.so); the helper sources are compiled in, or with
# STATIC_HELPERS hpy's precompiled helper library is linked. For the universal and hybrid ABIs
# the stub loader <name>.py is written into the current binary folder; the target's HPY_STUB
# property names it (empty for cpython).
function(hpy_add_module name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "STATIC_HELPERS" "ABI" "")
  set(abi "${arg_ABI}")
  if(NOT abi)
    set(abi "${HPY_ABI}")
  endif()
  if(NOT abi MATCHES "^(cpython|universal|hybrid)$")
    message(FATAL_ERROR "hpy_add_module(${name}): unknown HPy ABI '${abi}' "
                        "(valid: cpython, universal, hybrid)")
  endif()
  if(NOT arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "hpy_add_module(${name}): no sources")
  endif()
  _hpy_query(include_dirs "${abi}" --include-dirs)
  _hpy_query(defines "${abi}" --defines)
  _hpy_query(suffix "${abi}" --ext-suffix)
  if(arg_STATIC_HELPERS)
    _hpy_query(helpers "${abi}" --static-lib)
    set(helper_sources "")
  else()
    _hpy_query(helper_sources "${abi}" --sources)
  endif()

  if(abi STREQUAL "cpython")
    Python_add_library(${name} MODULE WITH_SOABI ${arg_UNPARSED_ARGUMENTS} ${helper_sources})
  else()
    add_library(${name} MODULE ${arg_UNPARSED_ARGUMENTS} ${helper_sources})
    set_target_properties(${name} PROPERTIES PREFIX "" SUFFIX "${suffix}")
    if(abi STREQUAL "hybrid")
      # legacy Python.h access: the interpreter's headers and its way of linking a module
      target_link_libraries(${name} PRIVATE Python::Module)
    endif()
  endif()
  # the universal ABI's poison Python.h must come before any other include folder
  target_include_directories(${name} BEFORE PRIVATE ${include_dirs})
  target_compile_definitions(${name} PRIVATE ${defines})
  if(arg_STATIC_HELPERS)
    target_link_libraries(${name} PRIVATE "${helpers}")
  endif()

  set(stub "")
  if(NOT abi STREQUAL "cpython")
    set(stub "${CMAKE_CURRENT_BINARY_DIR}/${name}.py")
    _hpy_query(ignored "${abi}" --stub "${name}" -o "${stub}")
  endif()
  set_target_properties(${name} PROPERTIES HPY_ABI "${abi}" HPY_STUB "${stub}")
endfunction()

# hpy_install_module(<name> DESTINATION <dir>): install the binary of hpy_add_module(<name>)
# and, when it has one, its stub loader into <dir>.
function(hpy_install_module name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "DESTINATION" "")
  if(NOT DEFINED arg_DESTINATION)
    message(FATAL_ERROR "hpy_install_module(${name}): DESTINATION is required")
  endif()
  get_target_property(stub ${name} HPY_STUB)
  install(TARGETS ${name} LIBRARY DESTINATION "${arg_DESTINATION}")
  if(stub)
    install(FILES "${stub}" DESTINATION "${arg_DESTINATION}")
  endif()
endfunction()
