from . import media_kit, portal, shop, sign_on
