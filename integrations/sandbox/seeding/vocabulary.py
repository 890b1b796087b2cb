"""The words of the seeded world: a design & software agency, its people, clients and work.

Plain data, no randomness: the generator picks from these lists with its seeded Random.
"""

FIRST_NAMES = [
    "Aaliyah", "Adrian", "Aiko", "Alejandro", "Amara", "Amelia", "Anders", "Ángela", "Anika", "Arjun",
    "Astrid", "Ayesha", "Beatriz", "Benedikt", "Bianca", "Björn", "Camille", "Carlos", "Chiara", "Chloé",
    "Chinedu", "Clara", "Dalia", "Daniel", "Dario", "Dev", "Diego", "Dmitri", "Elena", "Elif",
    "Eliza", "Emeka", "Emil", "Emma", "Esra", "Ethan", "Fatima", "Felix", "Finn", "Freya",
    "Gabriel", "Greta", "Hana", "Hannah", "Hugo", "Ibrahim", "Ines", "Ingrid", "Isaac", "Ivana",
    "Jakob", "Jamal", "Jana", "Javier", "Jonas", "José", "Julia", "Kai", "Kamila", "Karim",
    "Katarzyna", "Kenji", "Laila", "Lars", "Laura", "Lea", "Leon", "Liam", "Lina", "Lucas",
    "Luca", "Maja", "Malik", "Marco", "Mariam", "Marta", "Mateo", "Maya", "Mei", "Mila",
    "Milan", "Miriam", "Nadia", "Naomi", "Nikolai", "Nils", "Noah", "Nora", "Olga", "Omar",
    "Oskar", "Paula", "Pedro", "Priya", "Rafael", "Rania", "Rhea", "Rosa", "Ruben", "Sakura",
    "Samir", "Sara", "Sebastian", "Selin", "Sofia", "Sven", "Tariq", "Tess", "Theo", "Tomás",
    "Valentina", "Victor", "Wei", "Yara", "Yusuf", "Zainab", "Zoë", "Mateusz", "Linnea", "Océane",
]  # fmt: skip

LAST_NAMES = [
    "Abadi", "Adeyemi", "Andersson", "Bauer", "Becker", "Bianchi", "Brandt", "Castillo", "Chen", "Costa",
    "Dahl", "Demir", "Dubois", "Eriksen", "Esposito", "Fernandes", "Fischer", "Fontaine", "García", "Graf",
    "Hansen", "Hartmann", "Hoffmann", "Horvat", "Ibrahim", "Ito", "Jansen", "Jensen", "Kaya", "Keller",
    "Khan", "Kim", "Klein", "Kowalski", "Krüger", "Lambert", "Larsen", "Lehmann", "Lindqvist", "López",
    "Lorenz", "Martins", "Mehta", "Meyer", "Moreau", "Müller", "Nakamura", "Navarro", "Nguyen", "Nielsen",
    "Novak", "Nowak", "Okafor", "Oliveira", "Park", "Patel", "Peeters", "Petrov", "Popescu", "Quinn",
    "Rahman", "Ramos", "Reyes", "Richter", "Rossi", "Roth", "Sánchez", "Santos", "Schmidt", "Schneider",
    "Schulz", "Silva", "Singh", "Sørensen", "Suzuki", "Svensson", "Tanaka", "Torres", "Vasquez", "Vogel",
    "Wagner", "Walsh", "Weber", "Wolf", "Wójcik", "Yamamoto", "Yilmaz", "Young", "Zimmermann", "Zhou",
]  # fmt: skip

# (team, [titles]) with a weight: how much of the studio works there.
TEAMS = [
    ("Design", ["Product Designer", "Senior Product Designer", "UX Researcher", "Visual Designer",
                "Motion Designer", "Brand Designer", "Design Lead"], 30),
    ("Engineering", ["Frontend Engineer", "Backend Engineer", "Full-stack Engineer", "iOS Engineer",
                     "Android Engineer", "Senior Software Engineer", "Tech Lead"], 42),
    ("Quality", ["QA Engineer", "Test Automation Engineer"], 8),
    ("Content", ["Copywriter", "Content Strategist"], 6),
    ("DevOps", ["DevOps Engineer", "Site Reliability Engineer"], 6),
    ("Delivery", ["Project Manager", "Delivery Manager", "Scrum Master"], 8),
]  # fmt: skip

MANAGER_TITLES = {
    "Owner": ("Leadership", "Founder & Managing Director"),
    "Executive manager": ("Leadership", "Head of Operations"),
    "Executive manager 2": ("Leadership", "Head of Delivery"),
    "Team manager": ("Delivery", "Team Lead"),
    "Project manager": ("Delivery", "Project Manager"),
}

# Client companies: (name, domain).
CLIENTS = [
    ("Northwind Traders", "northwind.test"), ("Bluebird Health", "bluebirdhealth.test"),
    ("Fjord Outdoor", "fjordoutdoor.test"), ("Harbor & Finch", "harborfinch.test"),
    ("Lumen Energy", "lumenenergy.test"), ("Oak & Ember Coffee", "oakember.test"),
    ("Parcelly", "parcelly.test"), ("Quill Publishing", "quillpub.test"),
    ("Riverstone Bank", "riverstone.test"), ("Solace Hotels", "solacehotels.test"),
    ("Tidewater Museum", "tidewater.test"), ("Verdant Foods", "verdantfoods.test"),
    ("Kestrel Robotics", "kestrel.test"), ("Meridian Insurance", "meridian-ins.test"),
    ("Atlas Mobility", "atlasmobility.test"), ("Copperleaf Realty", "copperleaf.test"),
    ("Greenway Transit", "greenway.test"), ("Halcyon Bio", "halcyonbio.test"),
    ("Juniper Schools", "juniperschools.test"), ("Mosaic Fitness", "mosaicfit.test"),
    ("Nimbus Cloudworks", "nimbuscloud.test"), ("Orchard Pay", "orchardpay.test"),
    ("Pinecrest Clinics", "pinecrest.test"), ("Saltmarsh Records", "saltmarsh.test"),
    ("Tandem Bikes", "tandembikes.test"), ("Umber Architects", "umber.test"),
    ("Vantage Analytics", "vantage.test"), ("Wildflower Skincare", "wildflower.test"),
    ("Yellowtail Logistics", "yellowtail.test"), ("Zephyr Airlines", "zephyrair.test"),
    ("Brightside Charity", "brightside.test"), ("Cobalt Games", "cobaltgames.test"),
    ("Driftwood Furniture", "driftwood.test"), ("Evergreen Legal", "evergreenlegal.test"),
    ("Foxglove Theatre", "foxglove.test"), ("Granite City Council", "granitecity.test"),
]  # fmt: skip

# Colors of the project tags, given in turn (a tag's `color` in the API).
TAG_COLORS = ["#FF5733", "#2E86DE", "#27AE60", "#8E44AD", "#F39C12", "#16A085", "#C0392B", "#7F8C8D"]

# Project kinds: (name, discipline, tags, typical estimate in hours).
PROJECT_KINDS = [
    ("Website redesign", "web", ["design", "web"], 600),
    ("Marketing site on Next.js", "web", ["web", "frontend"], 420),
    ("Customer portal", "web", ["web", "backend"], 1200),
    ("E-commerce replatforming", "web", ["web", "shopify"], 900),
    ("iOS app", "mobile", ["mobile", "ios"], 1400),
    ("Android app", "mobile", ["mobile", "android"], 1300),
    ("Booking app (React Native)", "mobile", ["mobile", "react-native"], 1100),
    ("Brand identity", "brand", ["brand", "design"], 320),
    ("Design system", "product", ["design", "frontend"], 700),
    ("UX audit", "product", ["research", "design"], 120),
    ("Checkout optimisation", "product", ["conversion", "web"], 260),
    ("Data dashboard", "web", ["data", "frontend"], 520),
    ("API integration", "web", ["backend", "integration"], 380),
    ("Accessibility review", "product", ["a11y", "qa"], 90),
    ("Campaign microsite", "brand", ["campaign", "web"], 160),
    ("Maintenance retainer", "web", ["retainer", "support"], 480),
    ("Product discovery sprint", "product", ["research", "workshop"], 140),
    ("Internal tools", "web", ["backend", "tools"], 350),
]

INTERNAL_PROJECTS = [
    ("Acme — Design system", ["internal", "design"]),
    ("Acme — Marketing site", ["internal", "web"]),
    ("Internal — Recruiting & onboarding", ["internal", "people"]),
    ("Internal — R&D: AI prototypes", ["internal", "research"]),
    ("Internal — Pre-sales & pitches", ["internal", "sales"]),
    ("Internal — Tooling & infrastructure", ["internal", "devops"]),
]

PROJECT_NOTES = {
    "web": [
        "Responsive rebuild with a headless CMS; content migration from the old WordPress site.",
        "Performance budget: LCP under 2.5 s on mid-range Android. Staging on Vercel.",
        "Phased launch: public pages first, logged-in area in phase 2.",
    ],
    "mobile": [
        "Native apps with a shared design language; App Store release planned after the beta.",
        "Offline-first sync, push notifications, and SSO with the client's identity provider.",
    ],
    "brand": [
        "Logo, type, colour and tone of voice; delivery as brand guidelines and a Figma library.",
        "Campaign look and feel for the spring launch across web, social and print.",
    ],
    "product": [
        "Research-led: interviews, journey mapping, prioritised backlog for the next two quarters.",
        "Component library in Figma and Storybook, with tokens shared between web and mobile.",
    ],
    "internal": ["Non-billable work for the studio itself."],
}

# Task titles per discipline.
TASKS = {
    "web": [
        "Homepage hero and navigation",
        "Responsive grid and breakpoints",
        "CMS content model",
        "Contact form with spam protection",
        "Blog listing and article template",
        "SEO metadata and sitemap",
        "Cookie consent banner",
        "Search with filters",
        "Performance pass (images, fonts)",
        "Staging deployment pipeline",
        "Analytics events",
        "404 and error pages",
        "Footer and legal pages",
        "Login and password reset",
        "Account settings page",
        "Invoice download (PDF)",
    ],
    "mobile": [
        "Onboarding screens",
        "Push notification opt-in",
        "Offline sync queue",
        "Login with SSO",
        "Booking flow",
        "Payment sheet",
        "Profile and settings",
        "Crash reporting setup",
        "App Store screenshots",
        "Deep links",
        "Dark mode",
        "TestFlight beta build",
    ],
    "brand": [
        "Moodboards",
        "Logo explorations",
        "Typography pairing",
        "Colour palette and contrast checks",
        "Brand guidelines PDF",
        "Social media templates",
        "Stationery",
        "Icon set",
    ],
    "product": [
        "Stakeholder interviews",
        "User interviews (round 1)",
        "Journey map",
        "Heuristic review",
        "Prototype for usability tests",
        "Usability test sessions",
        "Findings report",
        "Button and form components",
        "Design tokens",
        "Storybook documentation",
        "Roadmap workshop",
    ],
    "internal": [
        "Case study write-up",
        "Pitch deck for new lead",
        "Interview loop: frontend hire",
        "Onboarding checklist",
        "Upgrade CI runners",
        "Figma library clean-up",
        "Team offsite planning",
    ],
}

# Activity descriptions per team: formatted with {client} and {n}.
ACTIVITIES = {
    "Design": [
        "Figma: {task}",
        "Iterating on {task} after client feedback",
        "Design review with {client}",
        "Prototype for {task}",
        "Handoff notes for developers",
        "Exploring variants for {task}",
    ],
    "Engineering": [
        "Implementing {task}",
        "Code review: PR #{n}",
        "Fixing bugs from QA on {task}",
        "Refactoring {task}",
        "Pairing on {task}",
        "Writing tests for {task}",
        "Sprint planning",
    ],
    "Quality": [
        "Regression testing {task}",
        "Writing test cases for {task}",
        "Verifying fixes, ticket #{n}",
        "Cross-browser checks",
        "Exploratory testing on staging",
    ],
    "Content": [
        "Copy for {task}",
        "Editing page copy with {client}",
        "Content inventory",
        "Microcopy pass",
    ],
    "DevOps": [
        "CI pipeline for {task}",
        "Monitoring and alerts",
        "Staging environment upkeep",
        "Database backup restore drill",
        "Infrastructure as code review, PR #{n}",
    ],
    "Delivery": [
        "Weekly status call with {client}",
        "Backlog grooming",
        "Sprint planning and estimates",
        "Budget report for {client}",
        "Writing meeting notes",
        "Release planning for {task}",
    ],
    "Leadership": [
        "Account review with {client}",
        "Hiring interviews",
        "Pipeline and proposals",
        "1:1s with team leads",
        "Quarterly planning",
    ],
}

TIMESHEET_REJECT_REASONS = [
    "Tuesday's 9 hours on Northwind look like a tracker left running over lunch. Please fix and resubmit.",
    "Please move the internal meeting time to the Internal project instead of the client project.",
    "Friday is missing task details; add what you worked on before resubmitting.",
    "Time on the archived campaign project: book it on the retainer instead.",
    "Two hours on Saturday were not agreed with the client. Let's talk, then resubmit.",
]

TIME_REQUEST_NOTES = [
    "Workshop at the client's office, laptop was closed.",
    "Forgot to start the tracker after the standup.",
    "Tracker crashed after the macOS update.",
    "Call with the client from my phone on the way back.",
    "Whiteboard session with the design team, no computer.",
    "Internet was down at home, worked offline on the copy deck.",
    "On-site user testing sessions.",
]

TIME_REQUEST_REJECT_COMMENTS = [
    "This overlaps the time you already tracked that afternoon.",
    "Please book this on the internal project, the client won't cover it.",
    "The workshop ended at 16:00 according to the calendar.",
]

LEAVE_NOTES = {
    "Vacation": ["Family trip", "Summer holiday", "Long weekend", "Visiting family abroad", "Wedding", None],
    "Sick leave": ["Flu", "Doctor's appointment", "Migraine", None],
    "Unpaid leave": ["Moving to a new flat", "Personal matters", "Extended travel"],
}

LEAVE_REJECT_REASONS = [
    "That's launch week for Northwind. Could you move it by a week?",
    "Three people from the mobile team are already off then.",
    "Please take these days after the sprint review.",
]

# Expense categories and their catalogue: (name template, low, high, billable share).
EXPENSES = {
    "Travel": [
        ("Train to the {client} workshop", 35, 180, 0.8),
        ("Flight to {client} kick-off", 120, 420, 0.9),
        ("Taxi from client office", 18, 60, 0.6),
        ("Hotel, two nights near {client}", 160, 380, 0.8),
    ],
    "Software & subscriptions": [
        ("Figma Professional seat", 15, 45, 0.0),
        ("JetBrains All Products licence", 25, 70, 0.0),
        ("BrowserStack monthly plan", 39, 129, 0.3),
        ("Vercel Pro (staging)", 20, 60, 0.5),
    ],
    "Hardware": [
        ("USB-C dock", 90, 260, 0.0),
        ("Test device: Android mid-range phone", 180, 420, 0.6),
        ("External monitor", 220, 520, 0.0),
    ],
    "Stock assets & fonts": [
        ("Stock photos for {client}", 20, 250, 0.9),
        ("Web font licence for {client}", 60, 480, 1.0),
        ("Icon pack", 15, 90, 0.3),
    ],
    "Meals & client entertainment": [
        ("Lunch with {client} team", 45, 220, 0.5),
        ("Team dinner after launch", 120, 480, 0.0),
        ("Coffee and snacks for workshop", 15, 70, 0.7),
    ],
    "Training & conferences": [
        ("Conference ticket: Config", 250, 900, 0.0),
        ("Online course: advanced TypeScript", 40, 250, 0.0),
        ("Accessibility workshop", 150, 600, 0.0),
    ],
    "Office supplies": [
        ("Sticky notes and markers for workshops", 12, 60, 0.2),
        ("Printing: usability test scripts", 10, 45, 0.5),
    ],
}
