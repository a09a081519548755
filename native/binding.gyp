{
  "targets": [
    {
      "target_name": "unixfd",
      "sources": ["unixfd.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
