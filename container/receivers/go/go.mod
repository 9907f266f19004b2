module memhook.dev/memhook

go 1.19
