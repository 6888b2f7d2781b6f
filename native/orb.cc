// featcache's native ORB backend: the three OpenCV steps of src/features/orb.ts
// (frame, contrast, detectAndCompute) on the system's OpenCV, through Node-API.
// Stateless functions on byte arrays; the rules (frame size, when to enhance, grid
// selection) stay in TypeScript. Built by native/build.sh; loaded by
// src/features/orb-native.ts, which falls back to the WebAssembly build without it.
//
//   frame(grey, width, height, frameWidth, frameHeight, mirror) -> Uint8Array
//     INTER_AREA resize (when the size differs), then a horizontal flip (mirror)
//   enhance(frame, width, height, mode, clip, tiles) -> Uint8Array
//     mode 1: CLAHE(clip, tiles x tiles); mode 2: equalizeHist
//   detect(frame, width, height, nfeatures, levels) -> { keypoints, descriptors }
//     ORB (OpenCV's defaults but the levels): keypoints Float32Array of
//     x, y, size, angle, response, octave per keypoint; descriptors Uint8Array n x 32
#include <node_api.h>

#include <opencv2/core.hpp>
#include <opencv2/core/ocl.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace {

struct ArgError : std::exception {
  std::string msg;
  explicit ArgError(std::string m) : msg(std::move(m)) {}
  const char* what() const noexcept override { return msg.c_str(); }
};

void check(napi_env, napi_status s) {
  if (s != napi_ok) throw ArgError("Node-API call failed");
}

std::vector<napi_value> args(napi_env env, napi_callback_info info, size_t n) {
  std::vector<napi_value> v(n);
  size_t got = n;
  check(env, napi_get_cb_info(env, info, &got, v.data(), nullptr, nullptr));
  if (got < n) throw ArgError("expected " + std::to_string(n) + " arguments");
  return v;
}

int32_t intArg(napi_env env, napi_value v, int32_t lo, int32_t hi) {
  int32_t x = 0;
  if (napi_get_value_int32(env, v, &x) != napi_ok || x < lo || x > hi) throw ArgError("integer argument out of range");
  return x;
}

double numArg(napi_env env, napi_value v) {
  double x = 0;
  if (napi_get_value_double(env, v, &x) != napi_ok) throw ArgError("expected a number");
  return x;
}

// A Mat over a Uint8Array's bytes (no copy), which must hold exactly width x height.
cv::Mat greyArg(napi_env env, napi_value v, int width, int height) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) {
    throw ArgError("expected a Uint8Array");
  }
  if (length != static_cast<size_t>(width) * static_cast<size_t>(height)) throw ArgError("pixel count does not match the size");
  return cv::Mat(height, width, CV_8UC1, data);
}

napi_value copyOut(napi_env env, const void* bytes, size_t size, napi_typedarray_type type, size_t count) {
  void* dst = nullptr;
  napi_value buffer, array;
  check(env, napi_create_arraybuffer(env, size, &dst, &buffer));
  if (size > 0) std::memcpy(dst, bytes, size);
  check(env, napi_create_typedarray(env, type, count, buffer, 0, &array));
  return array;
}

napi_value matOut(napi_env env, const cv::Mat& m) {
  cv::Mat c = m.isContinuous() ? m : m.clone();
  return copyOut(env, c.data, c.total(), napi_uint8_array, c.total());
}

constexpr int kMaxSide = 1 << 15;

napi_value frame(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 6);
  int w = intArg(env, a[1], 1, kMaxSide), h = intArg(env, a[2], 1, kMaxSide);
  int fw = intArg(env, a[3], 1, kMaxSide), fh = intArg(env, a[4], 1, kMaxSide);
  bool mirror = false;
  check(env, napi_get_value_bool(env, a[5], &mirror));
  cv::Mat mat = greyArg(env, a[0], w, h);
  if (fw != w || fh != h) {
    cv::Mat small;
    cv::resize(mat, small, cv::Size(fw, fh), 0, 0, cv::INTER_AREA);
    mat = small;
  }
  if (mirror) {
    cv::Mat flipped;
    cv::flip(mat, flipped, 1);
    mat = flipped;
  }
  return matOut(env, mat);
}

napi_value enhance(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 6);
  int w = intArg(env, a[1], 1, kMaxSide), h = intArg(env, a[2], 1, kMaxSide);
  int mode = intArg(env, a[3], 1, 2);
  double clip = numArg(env, a[4]);
  int tiles = intArg(env, a[5], 1, 256);
  cv::Mat mat = greyArg(env, a[0], w, h), out;
  if (mode == 2) {
    cv::equalizeHist(mat, out);
  } else {
    cv::createCLAHE(clip, cv::Size(tiles, tiles))->apply(mat, out);
  }
  return matOut(env, out);
}

napi_value detect(napi_env env, napi_callback_info info) {
  auto a = args(env, info, 5);
  int w = intArg(env, a[1], 1, kMaxSide), h = intArg(env, a[2], 1, kMaxSide);
  int nfeatures = intArg(env, a[3], 1, 1 << 20), levels = intArg(env, a[4], 1, 32);
  cv::Mat mat = greyArg(env, a[0], w, h);
  cv::Ptr<cv::ORB> orb = cv::ORB::create(nfeatures);
  orb->setNLevels(levels);
  std::vector<cv::KeyPoint> keypoints;
  cv::Mat descriptors;
  orb->detectAndCompute(mat, cv::noArray(), keypoints, descriptors);
  const size_t n = keypoints.size();
  if (n > 0 && (descriptors.rows != static_cast<int>(n) || descriptors.cols != 32 || descriptors.type() != CV_8UC1)) {
    throw ArgError("unexpected descriptor matrix");
  }
  std::vector<float> kp(n * 6);
  for (size_t i = 0; i < n; i++) {
    const cv::KeyPoint& k = keypoints[i];
    float* o = &kp[i * 6];
    o[0] = k.pt.x;
    o[1] = k.pt.y;
    o[2] = k.size;
    o[3] = k.angle;
    o[4] = k.response;
    o[5] = static_cast<float>(k.octave);
  }
  napi_value result;
  check(env, napi_create_object(env, &result));
  check(env, napi_set_named_property(env, result, "keypoints", copyOut(env, kp.data(), kp.size() * sizeof(float), napi_float32_array, kp.size())));
  const size_t bytes = n > 0 ? n * 32 : 0;
  cv::Mat d = n > 0 && !descriptors.isContinuous() ? descriptors.clone() : descriptors;
  check(env, napi_set_named_property(env, result, "descriptors", copyOut(env, n > 0 ? d.data : nullptr, bytes, napi_uint8_array, bytes)));
  return result;
}

// Runs fn, turning any C++ exception into a JS Error (never a crash).
template <napi_value (*fn)(napi_env, napi_callback_info)>
napi_value guarded(napi_env env, napi_callback_info info) {
  try {
    return fn(env, info);
  } catch (const cv::Exception& e) {
    napi_throw_error(env, "OPENCV", e.what());
  } catch (const std::exception& e) {
    napi_throw_error(env, "NATIVE_ORB", e.what());
  } catch (...) {
    napi_throw_error(env, "NATIVE_ORB", "unknown C++ exception");
  }
  return nullptr;
}

}  // namespace

// ---- Keypoint angles as OpenCV's WebAssembly build computes them ---------------------
// ORB's orientation is cv::fastAtan2 of the patch's intensity moments. Native OpenCV
// evaluates a polynomial approximation (~0.005 degrees off); its WebAssembly build (the
// orb.2 reference) takes atan2 in degrees (`__EMSCRIPTEN__` branch of
// mathfuncs_core.simd.hpp), with Emscripten's libm atan2f, fdlibm's algorithm in float
// arithmetic. The angle rotates the rBRIEF pattern, so it decides descriptor bits.
// This definition is exported: the dynamic linker binds libopencv_features2d's call to
// it ahead of libopencv_core's (the addon comes first in the scope of the libraries it
// loads). NAPI_MODULE_INIT checks that it did (`exact`), and the TypeScript side uses
// this addon only then. Compiled with -ffp-contract=off: no fused multiply-add, as in
// WebAssembly.

namespace {

float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

uint32_t floatToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// fdlibm's atanf: argument reduction to |x| < 7/16 around atan(0.5), atan(1), atan(1.5)
// or atan(inf), then an odd polynomial of degree 11 in float.
float fdlibmAtanf(float x) {
  static const float atanHi[] = {4.6364760399e-01f, 7.8539812565e-01f, 9.8279368877e-01f, 1.5707962513e+00f};
  static const float atanLo[] = {5.0121582440e-09f, 3.7748947079e-08f, 3.4473217170e-08f, 7.5497894159e-08f};
  static const float aT[] = {3.3333328366e-01f, -1.9999158382e-01f, 1.4253635705e-01f, -1.0648017377e-01f, 6.1687607318e-02f};
  const uint32_t bits = floatToBits(x);
  const bool negative = (bits >> 31) != 0;
  const uint32_t ix = bits & 0x7fffffffu;
  int id;
  if (ix >= 0x4c800000u) {  // |x| >= 2^26
    if (ix > 0x7f800000u) return x + x;  // NaN
    const float z = atanHi[3] + bitsToFloat(0x03800000u);  // + 2^-120
    return negative ? -z : z;
  }
  if (ix < 0x3ee00000u) {  // |x| < 0.4375
    if (ix < 0x39800000u) return x;  // |x| < 2^-12
    id = -1;
  } else {
    x = std::fabs(x);
    if (ix < 0x3f980000u) {  // |x| < 1.1875
      if (ix < 0x3f300000u) {  // 7/16 <= |x| < 11/16
        id = 0;
        x = (2.0f * x - 1.0f) / (2.0f + x);
      } else {  // 11/16 <= |x| < 19/16
        id = 1;
        x = (x - 1.0f) / (x + 1.0f);
      }
    } else if (ix < 0x401c0000u) {  // |x| < 2.4375
      id = 2;
      x = (x - 1.5f) / (1.0f + 1.5f * x);
    } else {  // 2.4375 <= |x| < 2^26
      id = 3;
      x = -1.0f / x;
    }
  }
  float z = x * x;
  const float w = z * z;
  const float s1 = z * (aT[0] + w * (aT[2] + w * aT[4]));
  const float s2 = w * (aT[1] + w * aT[3]);
  if (id < 0) return x - x * (s1 + s2);
  z = atanHi[id] - ((x * (s1 + s2) - atanLo[id]) - x);
  return negative ? -z : z;
}

// fdlibm's atan2f (quadrant from the signs, atanf of |y/x|, special cases first).
float fdlibmAtan2f(float y, float x) {
  const float pi = 3.1415927410e+00f, piLo = -8.7422776573e-08f;
  if (std::isnan(x) || std::isnan(y)) return x + y;
  uint32_t ix = floatToBits(x), iy = floatToBits(y);
  if (ix == 0x3f800000u) return fdlibmAtanf(y);  // x == 1
  const unsigned m = ((iy >> 31) & 1u) | ((ix >> 30) & 2u);  // 2 * sign(x) + sign(y)
  ix &= 0x7fffffffu;
  iy &= 0x7fffffffu;
  if (iy == 0) {
    if (m <= 1) return y;  // atan(+-0, +x) = +-0
    return m == 2 ? pi : -pi;  // atan(+-0, -x) = +-pi
  }
  if (ix == 0) return (m & 1u) ? -pi / 2 : pi / 2;
  if (ix == 0x7f800000u) {
    if (iy == 0x7f800000u) {
      const float r[] = {pi / 4, -pi / 4, 3 * pi / 4, -3 * pi / 4};
      return r[m];
    }
    const float r[] = {0.0f, -0.0f, pi, -pi};
    return r[m];
  }
  if (ix + (26u << 23) < iy || iy == 0x7f800000u) return (m & 1u) ? -pi / 2 : pi / 2;  // |y/x| > 2^26
  float z;
  if ((m & 2u) && iy + (26u << 23) < ix) z = 0.0f;  // |y/x| < 2^-26, x < 0
  else z = fdlibmAtanf(std::fabs(y / x));
  switch (m) {
    case 0: return z;
    case 1: return -z;
    case 2: return pi - (z - piLo);
    default: return (z - piLo) - pi;
  }
}

// Calls of cv::fastAtan2 below: the load-time check that OpenCV's ORB reaches it.
std::atomic<uint64_t> g_angleCalls{0};

}  // namespace

namespace cv {
__attribute__((visibility("default"))) float fastAtan2(float y, float x) {
  g_angleCalls.fetch_add(1, std::memory_order_relaxed);
  float a = static_cast<float>(fdlibmAtan2f(y, x) * 180.0f / CV_PI);
  if (a < 0.0f) a += 360.0f;
  if (a >= 360.0f) a -= 360.0f;
  return a;  // [0, 360)
}
}  // namespace cv

namespace {

// Detects ORB keypoints on a small generated pattern and reports whether their angles
// came from the definition above.
bool anglesInterposed() {
  cv::Mat img(128, 128, CV_8UC1);
  for (int y = 0; y < img.rows; y++) {
    for (int x = 0; x < img.cols; x++) img.at<uint8_t>(y, x) = static_cast<uint8_t>(((x / 8 + y / 8) % 2) * 200 + (x * 7 + y * 13) % 50);
  }
  std::vector<cv::KeyPoint> keypoints;
  const uint64_t before = g_angleCalls.load();
  cv::ORB::create(50)->detect(img, keypoints);
  return !keypoints.empty() && g_angleCalls.load() - before >= keypoints.size();
}

// OpenCV dispatches its filters (the Gaussian blur before rBRIEF, among others) to AVX2
// code that fuses multiply and add: one rounding instead of two, so a blurred pixel is
// now and then one grey level off the WebAssembly build's and a descriptor bit flips.
// OPENCV_CPU_DISABLE=AVX2,FMA3 (+ AVX512F,AVX512-SKX where present), read once when libopencv_core loads (set by
// orb-native.ts before it loads the addon), keeps it to SSE code without FMA.
bool fusedMultiplyAdd() {
  return cv::checkHardwareSupport(CV_CPU_FMA3) || cv::checkHardwareSupport(CV_CPU_AVX2) || cv::checkHardwareSupport(CV_CPU_AVX512_SKX);
}

}  // namespace

NAPI_MODULE_INIT() {
  // One core per extraction: featcache's worker pool is what spreads work over cores.
  cv::setNumThreads(1);
  cv::ocl::setUseOpenCL(false);
  napi_property_descriptor props[] = {
      {"frame", nullptr, guarded<frame>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"enhance", nullptr, guarded<enhance>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"detect", nullptr, guarded<detect>, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  if (napi_define_properties(env, exports, 3, props) != napi_ok) return nullptr;
  napi_value version;
  if (napi_create_string_utf8(env, CV_VERSION, NAPI_AUTO_LENGTH, &version) == napi_ok) {
    napi_set_named_property(env, exports, "opencvVersion", version);
  }
  napi_value exact;
  bool same = false;
  try {
    same = anglesInterposed() && !fusedMultiplyAdd();
  } catch (...) {
    same = false;
  }
  if (napi_get_boolean(env, same, &exact) == napi_ok) napi_set_named_property(env, exports, "exact", exact);
  return exports;
}
