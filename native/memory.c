#include <node_api.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

/*
 * trim(): gives the C heap's free pages back to the kernel. glibc keeps what a burst of
 * calls freed (HTTP/2 and TLS buffers of ten thousand Opens at once) as free chunks of
 * its arenas and returns them only from the top of each, so the RSS stays at the burst's
 * height. Returns whether memory was given back; false where the C library is not glibc,
 * whose allocators are left as they are.
 */
static napi_value js_trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value result;
  if (napi_get_boolean(env, released == 1, &result) != napi_ok) return NULL;
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"trim", NULL, js_trim, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
