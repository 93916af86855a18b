#ifndef INFERENCE_OPERATOR_CCURL_SHIM_H
#define INFERENCE_OPERATOR_CCURL_SHIM_H
#include <curl/curl.h>
#endif
