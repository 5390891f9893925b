import CVRNetKernels
import KerasFormat
import ImageInput
