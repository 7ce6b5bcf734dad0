/* stb_image and stb_image_resize from Debian's libstb-dev headers, compiled
   into the fuzz harness so the fuzzer sees (and sanitizes) their code. The
   production build links the same code from libstb.so. */
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb_image_resize.h>
