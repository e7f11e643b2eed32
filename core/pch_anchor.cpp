// Anchor translation unit for the shared LibTorch precompiled header (see CMakeLists.txt).
#include <torch/torch.h>
