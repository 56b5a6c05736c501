// A native app: one dense layer with ReLU, computed by the tensorforge core.
#include <tensorforge/tensorforge.h>

#include <cstdio>

int main() {
  namespace tf = tensorforge;
  tf::manual_seed(0);
  const tf::Tensor x = tf::randn({4, 8});
  const tf::Tensor w = tf::randn({8, 3});
  const tf::Tensor b = tf::zeros({3});
  const tf::Tensor y = tf::relu(tf::add(tf::matmul(x, w), b));
  const tf::Tensor total = tf::sum(y);
  std::printf("isa=%s output shape=%s sum=%.4f\n", tf::current_isa(), tf::shape_str(y.shape()).c_str(),
              static_cast<double>(*total.data<float>()));
  return 0;
}
