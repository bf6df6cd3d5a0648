/* Struct sequences: tuple subclasses with named fields. */
#ifndef HPY_RUNTIME_STRUCTSEQ_H
#define HPY_RUNTIME_STRUCTSEQ_H

typedef struct {
    const char *name;   /* NULL ends the list */
    const char *doc;
} HPyStructSequence_Field;

typedef struct {
    const char *name;
    const char *doc;
    HPyStructSequence_Field *fields;
} HPyStructSequence_Desc;

/* The name of a field that is not accessible by name. */
extern const char * const HPyStructSequence_UnnamedField;

HPyAPI_HELPER HPy HPyStructSequence_NewType(HPyContext *ctx, HPyStructSequence_Desc *desc);
HPyAPI_HELPER HPy HPyStructSequence_New(HPyContext *ctx, HPy type, HPy_ssize_t nargs, HPy *args);

#endif /* HPY_RUNTIME_STRUCTSEQ_H */
