#include "http/fiber.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* AddressSanitizer keeps shadow state per stack: it has to be told about
 * every switch, or it reports the other stack's frames as overflows. */
#if defined(__SANITIZE_ADDRESS__)
#define RP_FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RP_FIBER_ASAN 1
#endif
#endif
#ifdef RP_FIBER_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

/* On x86-64 a switch saves the six callee-saved registers, the stack
 * pointer and the floating-point control words, and nothing else: no
 * system call, where swapcontext also saves and restores the signal mask
 * (one system call each way, a tenth of the server's time on the hot
 * path). Elsewhere, ucontext. */
#if defined(__x86_64__) && defined(__ELF__)
#define RP_FIBER_ASM 1
/* rp_fiber_swap(save, to): pushes the callee-saved state on the current
 * stack, stores the stack pointer in *save, and resumes the state saved
 * at to. */
void rp_fiber_swap(void **save, void *to);
__asm__(".text\n"
        ".globl rp_fiber_swap\n"
        ".hidden rp_fiber_swap\n"
        ".type rp_fiber_swap,@function\n"
        "rp_fiber_swap:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    subq $16, %rsp\n"
        "    stmxcsr 8(%rsp)\n"
        "    fnstcw (%rsp)\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    fldcw (%rsp)\n"
        "    ldmxcsr 8(%rsp)\n"
        "    addq $16, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size rp_fiber_swap,.-rp_fiber_swap\n");
#endif

struct rp_fiber {
#ifdef RP_FIBER_ASM
    void *sp;        /* the fiber's saved stack pointer, while switched out */
    void *caller_sp; /* the thread's, while the fiber runs */
#else
    ucontext_t ctx;    /* the fiber's own */
    ucontext_t caller; /* where rp_fiber_run/resume was called */
#endif
    char *map; /* guard page + stack */
    size_t map_size;
    void (*fn)(void *);
    void *arg;
    bool done;
    bool started;
#ifdef RP_FIBER_ASAN
    void *fake_stack;          /* the fiber's, while it is switched out */
    const void *caller_bottom; /* the thread stack it came from */
    size_t caller_size;
#endif
};

/* The fiber the trampoline is entering: makecontext passes only ints, and
 * a fiber is entered once, on the thread that created it. */
static _Thread_local rp_fiber_t *entering;

#ifdef RP_FIBER_ASM
#define SWITCH_IN(f) rp_fiber_swap(&(f)->caller_sp, (f)->sp)
#define SWITCH_OUT(f) rp_fiber_swap(&(f)->sp, (f)->caller_sp)
#else
#define SWITCH_IN(f) swapcontext(&(f)->caller, &(f)->ctx)
#define SWITCH_OUT(f) swapcontext(&(f)->ctx, &(f)->caller)
#endif

static void switch_in(rp_fiber_t *f)
{
#ifdef RP_FIBER_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, f->map + (size_t)sysconf(_SC_PAGESIZE),
                                   f->map_size - (size_t)sysconf(_SC_PAGESIZE));
    SWITCH_IN(f);
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#else
    SWITCH_IN(f);
#endif
}

void rp_fiber_yield(rp_fiber_t *f)
{
#ifdef RP_FIBER_ASAN
    __sanitizer_start_switch_fiber(&f->fake_stack, f->caller_bottom, f->caller_size);
    SWITCH_OUT(f);
    __sanitizer_finish_switch_fiber(f->fake_stack, &f->caller_bottom, &f->caller_size);
#else
    SWITCH_OUT(f);
#endif
}

/* The fiber's whole life: run the function it is given, report done,
 * wait for the next one. It never returns, so the stack is set up once. */
static void trampoline(void)
{
    rp_fiber_t *f = entering;
#ifdef RP_FIBER_ASAN
    __sanitizer_finish_switch_fiber(NULL, &f->caller_bottom, &f->caller_size);
#endif
    for (;;) {
        f->fn(f->arg);
        f->done = true;
        rp_fiber_yield(f);
    }
}

#ifdef RP_FIBER_ASM
/* Lays out the stack as rp_fiber_swap leaves it, so that the first switch
 * in "returns" into the trampoline: control words, six registers, the
 * trampoline's address, and a null return address for the trampoline
 * itself (where backtraces end). The stack pointer at the trampoline's
 * entry is 8 modulo 16, as after a call. */
static int prepare(rp_fiber_t *f, char *stack, size_t size)
{
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
    uint64_t *p = (uint64_t *)top;
    *--p = 0;                               /* the trampoline's return address */
    *--p = (uint64_t)(uintptr_t)trampoline; /* where the first switch returns */
    for (int i = 0; i < 6; i++)
        *--p = 0; /* rbp rbx r12 r13 r14 r15 */
    uint32_t mxcsr;
    uint16_t fpucw;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(fpucw));
    p -= 2;
    memcpy((char *)p, &fpucw, sizeof fpucw);
    memcpy((char *)p + 8, &mxcsr, sizeof mxcsr);
    f->sp = p;
    return 0;
}
#else
/* getcontext may return twice, which makes the compiler distrust every
 * local around it: it gets a function of its own. The context is only
 * entered through makecontext's trampoline, never back here. */
static int prepare(rp_fiber_t *f, char *stack, size_t size)
{
    ucontext_t *uc = &f->ctx;
    if (getcontext(uc) != 0)
        return -1;
    uc->uc_stack.ss_sp = stack;
    uc->uc_stack.ss_size = size;
    uc->uc_link = NULL;
    makecontext(uc, trampoline, 0);
    return 0;
}
#endif

rp_fiber_t *rp_fiber_new(size_t stack_size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = ((stack_size + page - 1) / page + 1) * page;
    rp_fiber_t *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    void *m =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (m == MAP_FAILED) {
        free(f);
        return NULL;
    }
    /* A stack overflow hits the guard page and faults at once instead of
     * writing over whatever lies below. */
    if (mprotect(m, page, PROT_NONE) != 0 || prepare(f, (char *)m + page, size - page) != 0) {
        munmap(m, size);
        free(f);
        return NULL;
    }
    f->map = m;
    f->map_size = size;
    f->done = true;
    return f;
}

void rp_fiber_free(rp_fiber_t *f)
{
    if (f == NULL)
        return;
    munmap(f->map, f->map_size);
    free(f);
}

void rp_fiber_run(rp_fiber_t *f, void (*fn)(void *arg), void *arg)
{
    f->fn = fn;
    f->arg = arg;
    f->done = false;
    if (!f->started) {
        f->started = true;
        entering = f;
    }
    switch_in(f);
}

void rp_fiber_resume(rp_fiber_t *f)
{
    if (!f->done)
        switch_in(f);
}

bool rp_fiber_done(const rp_fiber_t *f)
{
    return f->done;
}
