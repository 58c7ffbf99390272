import { registry } from "@web/core/registry";
import * as tourUtils from "@website_sale/js/tours/tour_utils";

// an entitled customer finds the add-on of their title and puts it in the cart
registry.category("web_tour.tours").add("flexnet_store_entitled_buys_addon", {
    steps: () => [
        {
            content: "the add-on of an entitled title is listed",
            trigger: ".oe_product_cart a:contains(CAD Studio Render Module)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "add it to the cart",
            trigger: "#product_detail form #add_to_cart",
            run: "click",
        },
        tourUtils.goToCart({ quantity: 1 }),
        ...tourUtils.assertCartContains({ productName: "CAD Studio Render Module" }),
    ],
});

// an unentitled customer sees the open license of a title, not its add-on
registry.category("web_tour.tours").add("flexnet_store_unentitled_does_not_see_addon", {
    steps: () => [
        {
            content: "the license is listed",
            trigger: ".oe_product_cart a:contains(SimFlow Analyzer)",
        },
        {
            content: "the add-on is not",
            trigger: "#products_grid:not(:has(.oe_product_cart:contains(SimFlow CFD Solver)))",
        },
    ],
});

// a reseller sees reseller prices (20 % off the list price of 1,000.00)
registry.category("web_tour.tours").add("flexnet_store_reseller_price", {
    steps: () => [
        {
            content: "the reseller price is shown",
            trigger: ".oe_product_cart:contains(DataVault Server) .oe_currency_value:contains(800.00)",
        },
    ],
});

// the media-kit link of a priced kit lands on the cart with the kit in it
registry.category("web_tour.tours").add("flexnet_store_media_kit_cart", {
    steps: () => [...tourUtils.assertCartContains({ productName: "CAD Studio Media Kit" })],
});

// the media-kit link of a free kit asks for the ship-to address, then orders
registry.category("web_tour.tours").add("flexnet_store_media_kit_free", {
    steps: () => [
        {
            content: "the address form is prefilled",
            trigger: "form.o_flexnet_ship_form input[name=street]",
            run: "edit 7 Quay Street",
        },
        {
            content: "give the zip code",
            trigger: "form.o_flexnet_ship_form input[name=zip]",
            run: "edit BS1 4DJ",
        },
        {
            content: "confirm",
            trigger: "form.o_flexnet_ship_form .o_flexnet_ship_confirm",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "the order is placed",
            trigger: ".o_flexnet_kit_ordered",
        },
    ],
});

// the media-kit link of a priced kit (named by the downloaded item) through checkout and the
// demo payment provider to the confirmation
registry.category("web_tour.tours").add("flexnet_store_media_kit_paid", {
    steps: () => [
        ...tourUtils.assertCartContains({ productName: "CAD Studio Media Kit" }),
        tourUtils.goToCheckout(),
        {
            content: "a delivery method is chosen",
            trigger: '#o_delivery_methods input[name="o_delivery_radio"]:checked',
        },
        tourUtils.confirmOrder(),
        ...payWithDemoAndWait(),
    ],
});

// tourUtils.payWithDemo, waiting longer for the confirmation: the payment's post-processing
// confirms the order and renders its confirmation e-mail (with the order's PDF) first
function payWithDemoAndWait() {
    return [
        ...tourUtils.payWithDemo().slice(0, -1),
        {
            content: "the payment is processed and the order confirmed",
            trigger: '[name="order_confirmation"]:contains("Your payment has been processed.")',
            timeout: 30000,
        },
    ];
}

// a member renews a line's maintenance from My entitlements and pays with the demo provider
registry.category("web_tour.tours").add("flexnet_store_renew_with_payment", {
    steps: () => [
        {
            content: "renew the CAD Studio line",
            trigger: "tr.o_flexnet_entitlement_row:contains(ENT-NW-2001) button.o_flexnet_renew",
            run: "click",
            expectUnloadPage: true,
        },
        ...tourUtils.assertCartContains({ productName: "CAD Studio Maintenance" }),
        {
            content: "a renewal's quantity is the renewed seats, read-only",
            trigger: "[name=website_sale_cart_line_quantity]:not(:has(.fa-plus, .oi-plus)) input.js_quantity[readonly][value='4']",
        },
        tourUtils.goToCheckout(),
        ...payWithDemoAndWait(),
        {
            content: "the confirmation says where the order stands in FlexNet",
            trigger: ".o_flexnet_order_state:contains(FlexNet)",
        },
    ],
});

// a member buys extra seats in the shop and pays with the demo provider
registry.category("web_tour.tours").add("flexnet_store_buy_seats_with_payment", {
    steps: () => [
        {
            content: "the extra seats of an entitled title are listed",
            trigger: ".oe_product_cart a:contains(CAD Studio Extra Seat)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "add them to the cart",
            trigger: "#product_detail form #add_to_cart",
            run: "click",
        },
        tourUtils.goToCart({ quantity: 1 }),
        ...tourUtils.assertCartContains({ productName: "CAD Studio Extra Seat" }),
        tourUtils.goToCheckout(),
        ...payWithDemoAndWait(),
        {
            content: "the confirmation says where the order stands in FlexNet",
            trigger: ".o_flexnet_order_state:contains(FlexNet)",
        },
    ],
});
