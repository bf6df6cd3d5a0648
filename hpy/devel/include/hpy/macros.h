/* Compiler portability and declaration macros used throughout the headers. */
#ifndef HPY_MACROS_H
#define HPY_MACROS_H

#ifdef __has_attribute
#  define _HPY_compiler_has_attribute(x) __has_attribute(x)
#else
#  define _HPY_compiler_has_attribute(x) 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define _HPy_HIDDEN __attribute__((visibility("hidden")))
#  define _HPy_UNUSED __attribute__((unused))
#  define _HPy_NO_RETURN __attribute__((__noreturn__))
#  define HPyAPI_UNUSED __attribute__((unused)) static inline
#  define _HPy_LIKELY(x) __builtin_expect(!!(x), 1)
#  define _HPy_UNLIKELY(x) __builtin_expect(!!(x), 0)
#elif defined(_MSC_VER)
#  define _HPy_HIDDEN
#  define _HPy_UNUSED
#  define _HPy_NO_RETURN __declspec(noreturn)
#  define HPyAPI_UNUSED static inline
#  define _HPy_LIKELY(x) (x)
#  define _HPy_UNLIKELY(x) (x)
#else
#  define _HPy_HIDDEN
#  define _HPy_UNUSED
#  define _HPy_NO_RETURN
#  define HPyAPI_UNUSED static inline
#  define _HPy_LIKELY(x) (x)
#  define _HPy_UNLIKELY(x) (x)
#endif

#define _HPy_UNUSED_ARG(x) __HPy_UNUSED_TAGGED##x _HPy_UNUSED

/* Every public API function is a static inline wrapper. */
#define HPyAPI_FUNC _HPy_UNUSED static inline
#define HPyAPI_INLINE_HELPER HPyAPI_FUNC
/* Runtime-side ctx_* implementations and helper-library functions stay private to the binary. */
#define HPyAPI_IMPL _HPy_HIDDEN
#define HPyAPI_HELPER _HPy_HIDDEN

/* Legacy functions are a compile error in the universal ABI where the compiler can say so. */
#if defined(HPY_ABI_UNIVERSAL) && _HPY_compiler_has_attribute(error)
#  define _HPY_LEGACY __attribute__((error("Cannot use legacy functions when targeting the HPy Universal ABI")))
#else
#  define _HPY_LEGACY
#endif

/* Casting between unrelated function pointer types goes through void(*)(void), the one type
 * compilers accept as compatible with every function type. */
#define _HPy_FPTR_CAST(T, f) ((T)(void (*)(void))(f))

/* C++ compilers warn about fields a designated initializer leaves out; HPyDef macros rely on
 * exactly that for their optional fields (.doc, .closure, ...). */
#if defined(__cplusplus) && (defined(__GNUC__) || defined(__clang__))
#  define _HPy_OPTIONAL_FIELDS_BEGIN \
    _Pragma("GCC diagnostic push") \
    _Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")
#  define _HPy_OPTIONAL_FIELDS_END _Pragma("GCC diagnostic pop")
#else
#  define _HPy_OPTIONAL_FIELDS_BEGIN
#  define _HPy_OPTIONAL_FIELDS_END
#endif

#endif /* HPY_MACROS_H */
