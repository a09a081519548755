{
  "targets": [
    {
      "target_name": "unixfd",
      "sources": ["unixfd.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "memory",
      "sources": ["memory.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
