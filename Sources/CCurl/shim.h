#ifndef INFERENCE_OPERATOR_CCURL_SHIM_H
#define INFERENCE_OPERATOR_CCURL_SHIM_H
#include <curl/curl.h>

// Swift cannot call C variadic functions, so each curl_*_setopt / getinfo
// shape we use gets a typed inline wrapper here (and curl_version_info, whose
// argument is a macro). Parenthesised names bypass
// curl's type-checking macros. Nothing else lives in this header.

static inline CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return (curl_easy_setopt)(handle, option, value);
}
static inline CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return (curl_easy_setopt)(handle, option, value);
}
static inline CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return (curl_easy_setopt)(handle, option, value);
}
static inline CURLcode ccurl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return (curl_easy_setopt)(handle, option, value);
}
static inline CURLcode ccurl_easy_setopt_blob(CURL *handle, CURLoption option, struct curl_blob *value) {
    return (curl_easy_setopt)(handle, option, value);
}
static inline CURLcode ccurl_easy_setopt_share(CURL *handle, CURLSH *share) {
    return (curl_easy_setopt)(handle, CURLOPT_SHARE, share);
}
static inline CURLcode ccurl_easy_setopt_write_function(CURL *handle, CURLoption option, curl_write_callback callback) {
    return (curl_easy_setopt)(handle, option, callback);
}
static inline CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return (curl_easy_setopt)(handle, option, value);
}
static inline CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return (curl_easy_getinfo)(handle, info, value);
}
static inline CURLcode ccurl_easy_getinfo_private(CURL *handle, void **value) {
    char *pointer = NULL;
    CURLcode code = (curl_easy_getinfo)(handle, CURLINFO_PRIVATE, &pointer);
    *value = pointer;
    return code;
}
static inline CURLMcode ccurl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return (curl_multi_setopt)(handle, option, value);
}
static inline CURLSHcode ccurl_share_setopt_long(CURLSH *handle, CURLSHoption option, long value) {
    return (curl_share_setopt)(handle, option, value);
}

static const long ccurl_global_all = CURL_GLOBAL_ALL;
static const int ccurl_pause_continue = CURLPAUSE_CONT;
static const size_t ccurl_write_pause = CURL_WRITEFUNC_PAUSE;
static const unsigned int ccurl_blob_copy = CURL_BLOB_COPY;
static const long ccurl_error_size = CURL_ERROR_SIZE;
// curl_version_info's argument is a macro naming the newest struct layout.
static inline const curl_version_info_data *ccurl_version_info(void) {
    return curl_version_info(CURLVERSION_NOW);
}

#endif
