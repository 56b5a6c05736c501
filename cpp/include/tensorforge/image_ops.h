// Image augmentation ops on batches: every image of a [N, C, H, W] batch (or a single [C, H, W]
// image, N = 1) gets its own parameters, so one call augments a whole batch with independent
// random draws. The output has the input's rank and dtype; rows are y (H), columns are x (W).
// Geometry follows torchvision: a positive rotation angle turns the image counter-clockwise.
// Errors name the op: ShapeError for a wrong rank, an empty image or parameters that do not
// hold one value per image; ValueError for unknown modes, bad sizes or fill lengths.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tensorforge/tensor.h"

namespace tensorforge {

/// Flips image n left-right where horizontal[n] is nonzero and top-bottom where vertical[n] is
/// nonzero. horizontal / vertical: [N] tensors of any dtype (bool or integer flags).
/// Any dtype of images; the result is a new tensor.
Tensor flip_images(const Tensor& images, const Tensor& horizontal, const Tensor& vertical);

/// Crops a height x width window from each image after padding it by
/// padding = {left, top, right, bottom} (all >= 0): out[n, c, i, j] = padded[n, c, top[n] + i,
/// left[n] + j], where top / left ([N] integer tensors) are offsets into the padded image and the
/// window must fit inside it (ValueError otherwise). pad_mode, as torchvision names them:
/// "constant" (fill: one value or one per channel), "edge" (repeat the border pixel), "reflect"
/// (mirror without repeating the border; needs padding < the image size) or "symmetric"
/// (mirror repeating it; padding <= the image size). Any dtype.
Tensor crop_images(const Tensor& images, const Tensor& top, const Tensor& left, int64_t height, int64_t width,
                   std::vector<int64_t> padding, const std::string& pad_mode, std::vector<double> fill);

/// Warps each image by its own affine map. matrices [N, 2, 3] (any floating dtype; used in
/// float64) map an output pixel (x = column, y = row, 1) to the source pixel coordinates it
/// samples: src_x = m00 x + m01 y + m02, src_y = m10 x + m11 y + m12. interpolation "nearest"
/// (rounds half to even, as grid_sample does) or "bilinear". fill (one value or one per channel)
/// as torchvision applies it: empty = zeros padding (grid_sample's); otherwise a nearest pixel
/// from outside takes fill, and a bilinear one is m * S + (1 - m) * fill, where S sums the
/// weighted taps inside the image and m their weights. Output [N, C, out_h, out_w]
/// (out_h, out_w >= 1). float32 / float64 images (DTypeError otherwise).
Tensor affine_images(const Tensor& images, const Tensor& matrices, int64_t out_h, int64_t out_w,
                     const std::string& interpolation, std::vector<double> fill);

/// Rotates image n by angles[n] degrees counter-clockwise (torchvision's rotate, expand=False)
/// about center = (x, y) in torchvision's coordinates, where pixel (i, j) covers [j, j + 1) x
/// [i, i + 1); the default is the image centre (W / 2, H / 2). Multiples of 90 degrees use exact
/// sines and cosines, so a square image turned by 90 equals numpy's rot90. angles: [N], any
/// real dtype. Other arguments and errors as affine_images.
Tensor rotate_images(const Tensor& images, const Tensor& angles, const std::string& interpolation,
                     std::vector<double> fill, std::optional<std::pair<double, double>> center = std::nullopt);

}  // namespace tensorforge
