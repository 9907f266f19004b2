/* The default policy, embedded from policies/default.json (the compiler runs from the repo root).
 * A NUL byte follows the file so that the result is a C string. */
#include "policy/policy.h"

__asm__(".pushsection .rodata\n"
        ".global policy_default_json\n"
        ".type policy_default_json, @object\n"
        "policy_default_json:\n"
        ".incbin \"policies/default.json\"\n"
        ".byte 0\n"
        ".size policy_default_json, . - policy_default_json\n"
        ".popsection\n");
