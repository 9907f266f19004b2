/* http_conns: --listen's parser (the address the listening socket is bound to). Accepting and room
 * at the limits are tested with real connections from several loopback addresses in
 * tests/bats/hardening_http.bats and http.bats. */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base/util.h"
#include "output/http_server.h"

static void test_listen_addresses(void **state)
{
	(void)state;
	struct sockaddr_storage sa;
	socklen_t len;
	char err[256];
	assert_int_equal(http_parse_listen("127.0.0.1:9100", &sa, &len, err, sizeof(err)), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&sa)->sin_port), 9100);
	assert_int_equal(ntohl(((struct sockaddr_in *)&sa)->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(http_parse_listen(":80", &sa, &len, err, sizeof(err)), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(((struct sockaddr_in *)&sa)->sin_addr.s_addr, 0);
	assert_int_equal(http_parse_listen("[::1]:0", &sa, &len, err, sizeof(err)), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(http_parse_listen("[::]:65535", &sa, &len, err, sizeof(err)), 0);

	static const char *const bad[] = { "",
		                           "9100",
		                           "127.0.0.1",
		                           "127.0.0.1:",
		                           "1.2.3.4:65536",
		                           "1.2.3.4:-1",
		                           "1.2.3.4:9x",
		                           "::1:9100",
		                           "[::1]9100",
		                           "999.1.1.1:80",
		                           "1.2.3.4:99999999999999999999" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(http_parse_listen(bad[i], &sa, &len, err, sizeof(err)), -EINVAL);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(http_parse_listen(NULL, &sa, &len, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
