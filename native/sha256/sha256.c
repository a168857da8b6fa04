/*
 * SHA-256 whose state can be saved and restored, at OpenSSL's speed (SHA-NI).
 * Node's own hash objects cannot export their state, which a transfer needs
 * to resume hashing after a crash without re-reading the file. The symbols
 * come from the OpenSSL that Node itself links and exports to addons.
 *
 * The saved state is portable: the eight words of H, big-endian, the byte
 * count as a big-endian u64, then the bytes of the unfinished block (count
 * mod 64 of them): 40 to 103 bytes.
 * src/activities/transfer/sha256-state.ts has a JavaScript twin of the same
 * format for machines without a compiler.
 */
#include <node_api.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#define STATE_BYTES 40
#define STATE_MAX_BYTES (STATE_BYTES + SHA256_CBLOCK - 1)

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int get_bytes(napi_env env, napi_value value, void **data, size_t *length) {
  bool is_typed;
  napi_is_typedarray(env, value, &is_typed);
  if (is_typed) {
    napi_typedarray_type type;
    size_t count, offset;
    napi_value buffer;
    if (napi_get_typedarray_info(env, value, &type, &count, data, &buffer, &offset) != napi_ok) return 0;
    *length = count;
    return type == napi_uint8_array;
  }
  return napi_get_buffer_info(env, value, data, length) == napi_ok;
}

static SHA256_CTX *get_ctx(napi_env env, napi_value value) {
  void *data;
  size_t length;
  if (!get_bytes(env, value, &data, &length) || length != sizeof(SHA256_CTX)) return NULL;
  return (SHA256_CTX *)data;
}

/* The context of a call whose one argument is a context; NULL otherwise. */
static SHA256_CTX *only_ctx_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  return argc == 1 ? get_ctx(env, argv[0]) : NULL;
}

/* create([state]) -> context buffer */
static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  void *out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_create_buffer(env, sizeof(SHA256_CTX), &out, &result);
  SHA256_CTX *ctx = (SHA256_CTX *)out;
  SHA256_Init(ctx);
  napi_valuetype type = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &type);
  if (type == napi_undefined || type == napi_null) return result;
  uint8_t *state;
  size_t length;
  if (!get_bytes(env, argv[0], (void **)&state, &length) || length < STATE_BYTES || length > STATE_MAX_BYTES)
    return throw_error(env, "sha256 state must be 40 to 103 bytes");
  for (int i = 0; i < 8; i++)
    ctx->h[i] = ((uint32_t)state[4 * i] << 24) | ((uint32_t)state[4 * i + 1] << 16) |
                ((uint32_t)state[4 * i + 2] << 8) | state[4 * i + 3];
  uint64_t bytes = 0;
  for (int i = 0; i < 8; i++) bytes = (bytes << 8) | state[32 + i];
  size_t pending = length - STATE_BYTES;
  if (bytes % SHA256_CBLOCK != pending) return throw_error(env, "sha256 state: unfinished block of the wrong length");
  uint64_t bits = bytes << 3;
  ctx->Nl = (SHA_LONG)(bits & 0xffffffffu);
  ctx->Nh = (SHA_LONG)(bits >> 32);
  /* OpenSSL keeps the unfinished block as bytes in `data`, `num` of them. */
  memcpy(ctx->data, state + STATE_BYTES, pending);
  ctx->num = (unsigned int)pending;
  return result;
}

/* update(ctx, data) */
static napi_value update(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  SHA256_CTX *ctx = argc == 2 ? get_ctx(env, argv[0]) : NULL;
  void *data;
  size_t length;
  if (!ctx || !get_bytes(env, argv[1], &data, &length)) return throw_error(env, "update(ctx, bytes)");
  SHA256_Update(ctx, data, length);
  return NULL;
}

/* save(ctx) -> state (40 bytes + the unfinished block). */
static napi_value save(napi_env env, napi_callback_info info) {
  SHA256_CTX *ctx = only_ctx_arg(env, info);
  if (!ctx) return throw_error(env, "save(ctx)");
  napi_value result;
  uint8_t *out;
  napi_create_buffer(env, STATE_BYTES + ctx->num, (void **)&out, &result);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(ctx->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(ctx->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(ctx->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)ctx->h[i];
  }
  uint64_t bytes = (((uint64_t)ctx->Nh << 32) | ctx->Nl) >> 3;
  for (int i = 7; i >= 0; i--) {
    out[32 + i] = (uint8_t)bytes;
    bytes >>= 8;
  }
  memcpy(out + STATE_BYTES, ctx->data, ctx->num);
  return result;
}

/* digest(ctx) -> 32 bytes; the context is finished afterwards. */
static napi_value digest(napi_env env, napi_callback_info info) {
  SHA256_CTX *ctx = only_ctx_arg(env, info);
  if (!ctx) return throw_error(env, "digest(ctx)");
  napi_value result;
  void *out;
  napi_create_buffer(env, SHA256_DIGEST_LENGTH, &out, &result);
  SHA256_Final((unsigned char *)out, ctx);
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"create", NULL, create, NULL, NULL, NULL, napi_default, NULL},
      {"update", NULL, update, NULL, NULL, NULL, napi_default, NULL},
      {"save", NULL, save, NULL, NULL, NULL, napi_default, NULL},
      {"digest", NULL, digest, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
