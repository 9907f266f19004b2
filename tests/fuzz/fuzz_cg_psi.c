/* cg_parse_psi (memory.pressure): a success gives finite averages that are not negative. */
#include <errno.h>
#include <math.h>

#include "kernel/cgroup.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_memdup(data, size);
	struct psi psi;

	memset(&psi, 0, sizeof(psi));
	int r = cg_parse_psi(buf, size, &psi);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ERANGE);
	if (r == 0)
		for (int k = 0; k < PSI_KINDS; k++)
			for (int w = 0; w < PSI_WINDOWS; w++)
				FUZZ_ASSERT(isfinite(psi.avg[k][w]) && psi.avg[k][w] >= 0.0);
	free(buf);
	return 0;
}
