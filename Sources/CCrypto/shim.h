#ifndef INFERENCE_OPERATOR_CCRYPTO_SHIM_H
#define INFERENCE_OPERATOR_CCRYPTO_SHIM_H
// OpenSSL's libcrypto (already loaded by libcurl) for the MD5 and SHA-256
// digests that verify downloaded models. Only EVP digest calls are used.
#include <openssl/evp.h>
#endif
