/* Visibility of the symbols a module exports to the HPy loader. */
#ifndef HPY_HPYEXPORTS_H
#define HPY_HPYEXPORTS_H

#ifndef HPy_EXPORTED_SYMBOL
#  if defined(_WIN32) || defined(__CYGWIN__)
#    define HPy_EXPORTED_SYMBOL __declspec(dllexport)
#  else
#    define HPy_EXPORTED_SYMBOL __attribute__ ((visibility ("default")))
#  endif
#endif

#ifdef __cplusplus
#  define HPy_EXPORTED_FUNC extern "C" HPy_EXPORTED_SYMBOL
#else
#  define HPy_EXPORTED_FUNC HPy_EXPORTED_SYMBOL
#endif

#endif /* HPY_HPYEXPORTS_H */
