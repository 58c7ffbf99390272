import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("bom_vendor_portal_vendor_downloads", {
    url: "/my",
    steps: () => [
        {
            content: "The vendor's home shows the bills of materials card",
            trigger: "a[href='/my/boms']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Search the list for the tour's BOM",
            trigger: "form.o_bom_portal_filters input[name='search']",
            run: "edit Tour Kit",
        },
        {
            content: "Apply the filter",
            trigger: "form.o_bom_portal_filters button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Only the assigned BOM is listed; open it",
            trigger: "tr.o_bom_portal_row:only-child a.o_bom_portal_link:contains('Tour Kit')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The BOM page shows its components",
            trigger: ".o_bom_portal_components tr.o_bom_portal_component:contains('Tour Disc')",
        },
        {
            content: "The released revision is current, with its checksum; the draft is not shown",
            trigger: ".o_bom_portal_revision:contains('Rev. A'):contains('Current') code.o_bom_portal_md5",
            run: function () {
                if (document.querySelector(".o_bom_portal_revision:not(:has(.o_bom_portal_md5))")) {
                    throw new Error("a revision without checksum is listed");
                }
                if ([...document.querySelectorAll(".o_bom_portal_revision")].some((row) => row.textContent.includes("Rev. Z"))) {
                    throw new Error("the draft revision is visible to the vendor");
                }
            },
        },
        {
            content: "Download the document (fetched, as a browser would follow the link)",
            trigger: ".o_bom_portal_revision:contains('Rev. A') a.o_bom_portal_download",
            run: async function () {
                const link = document.querySelector(".o_bom_portal_revision a.o_bom_portal_download");
                const response = await fetch(link.getAttribute("href"));
                const text = await response.text();
                if (response.status !== 200 || !text.includes("tour specification")) {
                    throw new Error(`download failed: ${response.status}`);
                }
                document.body.classList.add("o_bom_tour_downloaded");
            },
        },
        {
            content: "Downloaded",
            trigger: "body.o_bom_tour_downloaded",
        },
    ],
});
