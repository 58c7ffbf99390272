from . import flexnet_entitled_product
