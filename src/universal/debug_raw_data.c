/* Debug mode: raw data (python-contract.md §11.2, §11.3). HPyUnicode_AsUTF8AndSize,
 * HPyBytes_AsString, HPyBytes_AS_STRING and HPyType_GetName hand out a private copy owned by the
 * handle. Two ways to protect it:
 *
 * - mmap (the default): the copy lives in pages of its own, read-only while the handle is open
 *   and inaccessible once it is closed (kept so within the budget of protected bytes, unmapped
 *   beyond it). A write, or a read after the close, faults: the fault handler names the misuse
 *   and the function that made the copy, then aborts.
 * - portable (hpy.universal._debug._set_raw_data_protection('portable'), for tests that look at
 *   the bytes): a malloc'd copy, overwritten with the pattern BA D0 DA 7A when its handle is
 *   closed (kept within the budget, freed beyond it); writes are not detected.
 *
 * The mode applies to copies made after it is set; each copy remembers its own. */
#include "internal/debug.h"

#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int use_mmap = 1;

HPyAPI_IMPL void hpy__debug_set_raw_data_mmap(int enabled)
{
    use_mmap = enabled;
}

HPyAPI_IMPL int hpy__debug_raw_data_mmap(void)
{
    return use_mmap;
}

static size_t mapped_size(HPy_ssize_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return ((size_t)size + page - 1) / page * page;
}

/* ---- faults on protected copies ---------------------------------------------------------- */

static struct sigaction previous_segv, previous_bus;
static int handler_installed;

static void say(const char *s)
{
    ssize_t ignored = write(2, s, strlen(s));
    (void)ignored;
}

/* The handle whose mapped copy contains addr (NULL: not one of ours). Called from the fault
 * handler: it only reads the chunks, which the faulting code is not modifying. */
static DebugHandle *owner_of(const char *addr)
{
    for (size_t c = 0; c < hpy__debug.nchunks; c++) {
        DebugHandle *chunk = hpy__debug.chunks[c];
        for (int i = 0; i < HPY_DEBUG_HANDLES_PER_CHUNK; i++) {
            DebugHandleExtras *e = chunk[i].extras;
            if (e == NULL || e->raw_data == NULL || !e->raw_data_mapped)
                continue;
            if (addr >= e->raw_data && addr < e->raw_data + mapped_size(e->raw_data_size))
                return &chunk[i];
        }
    }
    return NULL;
}

static void on_fault(int sig, siginfo_t *info, void *uctx)
{
    (void)uctx;
    DebugHandle *d = owner_of((const char *)info->si_addr);
    if (d == NULL) {
        /* not ours: the previous handler (or the default action) gets the repeated fault */
        sigaction(sig, sig == SIGSEGV ? &previous_segv : &previous_bus, NULL);
        return;
    }
    const char *origin = d->extras->raw_data_origin;
    say("Fatal Python error: HPy debug mode: ");
    if (d->state >= HPY_DH_CLOSED) {
        say("the memory returned by ");
        say(origin);
        say(" was accessed after its handle was closed (the pointer is valid only while the "
            "handle is open)\n");
    }
    else {
        say("the memory returned by ");
        say(origin);
        say(" was written to (it is read-only)\n");
    }
    abort();
}

static void install_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &previous_segv) == 0 && sigaction(SIGBUS, &sa, &previous_bus) == 0)
        handler_installed = 1;
}

/* ---- copies ------------------------------------------------------------------------------- */

HPyAPI_IMPL const char *hpy__debug_raw_copy(DebugHandleExtras *e, const char *data,
                                            HPy_ssize_t size, const char *origin)
{
    char *copy;
    int mapped = use_mmap;
    if (mapped) {
        /* reinstalled each time: a handler installed after ours (faulthandler) would otherwise
         * turn a misuse into an anonymous crash */
        struct sigaction current;
        if (!handler_installed || (sigaction(SIGSEGV, NULL, &current) == 0 &&
                                   current.sa_sigaction != on_fault))
            install_handler();
        void *p = mmap(NULL, mapped_size(size), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            PyErr_NoMemory();
            return NULL;
        }
        copy = (char *)p;
        memcpy(copy, data, (size_t)size);
        if (mprotect(copy, mapped_size(size), PROT_READ) != 0) {
            munmap(copy, mapped_size(size));
            PyErr_NoMemory();
            return NULL;
        }
    }
    else {
        copy = (char *)malloc((size_t)size);
        if (copy == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        memcpy(copy, data, (size_t)size);
    }
    e->raw_data = copy;
    e->raw_data_size = size;
    e->raw_data_mapped = mapped;
    e->raw_data_origin = origin;
    return copy;
}

static void free_copy(DebugHandleExtras *e)
{
    if (e->raw_data_mapped) {
        if (munmap(e->raw_data, mapped_size(e->raw_data_size)) != 0)
            hpy__debug_fatal("HPy could not free internally allocated memory.");
    }
    else {
        free(e->raw_data);
    }
    e->raw_data = NULL;
    e->raw_data_size = -1;
}

static void poison(char *p, HPy_ssize_t size)
{
    static const unsigned char pattern[4] = {0xBA, 0xD0, 0xDA, 0x7A};
    for (HPy_ssize_t i = 0; i < size; i++)
        p[i] = (char)pattern[i % 4];
}

/* The handle owning a raw-data copy is being closed: the copy becomes inaccessible (mmap) or
 * overwritten (portable) and is kept while the kept copies stay within the budget; otherwise it
 * is released. */
HPyAPI_IMPL void hpy__debug_release_raw_data(DebugHandle *d)
{
    DebugHandleExtras *e = d->extras;
    if (e->raw_data == NULL)
        return;
    if (hpy__debug.protected_raw_total + e->raw_data_size <= hpy__debug.protected_raw_max) {
        if (e->raw_data_mapped) {
            if (mprotect(e->raw_data, mapped_size(e->raw_data_size), PROT_NONE) != 0)
                hpy__debug_fatal("HPy could not free internally allocated memory.");
        }
        else {
            poison(e->raw_data, e->raw_data_size);
        }
        hpy__debug.protected_raw_total += e->raw_data_size;
        return;
    }
    free_copy(e);
}

/* A closed handle going back to the pool: a copy still there was kept within the budget. */
HPyAPI_IMPL void hpy__debug_forget_raw_data(DebugHandleExtras *e)
{
    if (e->raw_data == NULL)
        return;
    hpy__debug.protected_raw_total -= e->raw_data_size;
    free_copy(e);
}
