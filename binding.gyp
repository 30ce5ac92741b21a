{
  "targets": [
    {
      "target_name": "proactor_native",
      "sources": ["native/proactor_native.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
