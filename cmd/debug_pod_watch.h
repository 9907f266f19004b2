/* `memhook debug-pod-watch`: the pod watch alone, its callbacks as JSON lines (for tests). */
#pragma once

/* argv[0] is "debug-pod-watch". Returns an exit code (options.h). */
int cmd_debug_pod_watch(int argc, char **argv);
