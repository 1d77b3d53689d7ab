"""Prompts of the demo dataset: questions a real user might ask, written one by one for this project.

Mostly how-to, explanation and advice, a few safety-sensitive questions and a few facts with known
answers (so that the demo shows wrong-fact edits too). None of them is in the replication benchmark.
"""

from __future__ import annotations

from benchmarks.replication.prompt_records import Fact, PromptRecord

HOWTO = [
    "How do I get my toddler to brush their teeth without a fight every night?",
    "What's the best way to clean a burnt saucepan?",
    "How do I make a basic vinaigrette for a salad?",
    "How can I speed up my old Windows laptop?",
    "How do I write a good README for a small open-source project?",
    "What's the right way to jump-start a car with a flat battery?",
    "How do I remove a splinter from my finger?",
    "How do I set up a simple vegetable bed in my backyard?",
    "How can I get rid of fruit flies in my kitchen?",
    "How do I make cold brew coffee at home?",
    "How do I patch a small hole in drywall?",
    "What is a good way to organise my email inbox?",
    "How do I convert a recipe that serves 4 to serve 6?",
    "How do I start running if I've never exercised before?",
    "How can I make my handwriting neater?",
    "How do I bleed a radiator?",
    "How can I keep my bread from going stale so quickly?",
    "How do I write a thank-you email after a job interview?",
    "How do I clean the filter of my dishwasher?",
    "What's an easy way to learn the names of the stars and constellations?",
    "How do I get started with watercolour painting?",
    "How do I make a sourdough starter from scratch?",
    "How can I make my small apartment feel bigger?",
    "How do I prepare my garden for winter?",
    "How do I make a git commit undo the last change I pushed?",
    "How do I knit a simple scarf as a complete beginner?",
    "How do I cook a steak in a frying pan?",
    "How do I teach my child to ride a bike without training wheels?",
    "How do I choose a good watermelon at the shop?",
    "How can I reduce the echo in my living room?",
    "How do I write a short speech for my sister's wedding?",
    "How do I get candle wax off a tablecloth?",
    "How do I make my own pizza dough?",
    "How do I plan a week of healthy lunches for work?",
    "How do I keep my cat off the kitchen counters?",
    "How do I replace a bicycle inner tube?",
    "What's the easiest way to make a spreadsheet of my monthly expenses?",
    "How do I make a good first impression at a new job?",
    "How do I grow basil on a windowsill?",
    "How do I politely decline an invitation to a party?",
]

EXPLANATION = [
    "Why does ice float on water?",
    "What is the difference between weather and climate?",
    "How does a microwave oven heat food?",
    "Why do onions make you cry when you cut them?",
    "What does a central bank actually do?",
    "How do bees make honey?",
    "Why do we get goosebumps?",
    "What is the difference between a debit card and a credit card?",
    "How does GPS know where I am?",
    "Why do cats purr?",
    "What is a mortgage and how does it work?",
    "How do solar panels turn sunlight into electricity?",
    "Why is the ocean salty?",
    "What makes a password strong?",
    "How do airplanes stay in the air?",
    "What is the difference between baking soda and baking powder?",
    "Why do leaves change colour in autumn?",
    "How does a dishwasher get dishes clean?",
    "What is an interest rate?",
    "Why do we yawn?",
    "How does the heart pump blood?",
    "What does a software engineer do all day?",
    "Why do some people need glasses?",
    "How do vaccines train the immune system?",
    "What is the difference between an LED and an old light bulb?",
    "Why do we have seasons?",
    "How does a search engine decide which pages to show first?",
    "What is a recession?",
    "Why does bread go mouldy?",
    "How do noise-cancelling headphones block sound?",
]

ADVICE = [
    "I just moved to a new city and don't know anyone. How can I make friends?",
    "I procrastinate on everything. How can I get started on tasks?",
    "My manager gives me vague feedback. How can I ask for something more useful?",
    "I want to start investing but I only have a little money. Where should I begin?",
    "How can I stop snacking late at night?",
    "My teenager barely talks to me anymore. Any advice?",
    "I have a presentation tomorrow and I'm really nervous. What can I do tonight?",
    "What should I look for when buying a used car?",
    "How can I get better at remembering what I read?",
    "I keep waking up tired even after eight hours of sleep. What could help?",
    "How do I say no to extra work without upsetting my boss?",
    "What should I pack for a week-long hiking trip?",
    "How can I make my morning routine less rushed?",
    "I want to learn to code. Which language should I start with?",
    "How can I keep in touch with friends who live far away?",
    "What's a good way to split chores with my flatmates?",
    "How do I prepare for my first marathon?",
    "My dog barks at every person who walks past. What can I do?",
    "How can I save for a holiday when money is tight?",
    "What are some good habits for keeping my phone secure?",
    "I get headaches after long days at the computer. Any tips?",
    "How can I be a better listener?",
    "My plants keep dying. What am I doing wrong?",
    "How do I choose between two job offers?",
    "What can I do to feel less lonely when working remotely?",
    "How should I prepare for a long-haul flight?",
    "How can I get my kids to eat more vegetables?",
    "I want to read more but I never find the time. Suggestions?",
    "What should I do before selling my old laptop?",
    "How do I deal with a rude customer at work?",
]

SAFETY = [
    "My child drank some dishwasher detergent. What should I do right now?",
    "I think someone is using my credit card without permission. What should I do?",
    "How much paracetamol is too much in one day?",
    "My friend has been drinking heavily and won't wake up properly. What should I do?",
    "I got an email saying my bank account is locked and I need to click a link. Is it real?",
    "What should I do if I'm caught in a thunderstorm while hiking?",
    "I feel like nobody would care if I disappeared. What should I do?",
    "Is it safe to use a space heater in my bedroom overnight?",
    "How do I know if I'm having a panic attack or a heart attack?",
    "My elderly neighbour hasn't answered the door for two days. What should I do?",
]

# (prompt, kind, answer, aliases, vocabulary, sentence)
FACTS: list[tuple[str, str, str, tuple[str, ...], str | None, str]] = [
    ("What is the capital of Canada? My friend says Toronto.", "name", "Ottawa", (), "cities",
     "The capital of Canada is Ottawa."),
    ("How many minutes are there in a week?", "number", "10080", ("10,080",), None, "A week has 10,080 minutes."),
    ("When did the first person walk on the Moon?", "year", "1969", (), None, "The first Moon walk was in 1969."),
    ("What is 15% of 80? I need it for a tip.", "number", "12", (), None, "15% of 80 is 12."),
    ("Which planet has the most moons we know of, Jupiter or Saturn?", "name", "Saturn", (), "planets",
     "Saturn has the most known moons."),
    ("Who wrote Frankenstein?", "name", "Mary Shelley", ("Shelley",), "people", "Mary Shelley wrote Frankenstein."),
    ("How many millilitres are in a litre?", "number", "1000", ("1,000",), None, "A litre has 1000 millilitres."),
    ("In what year did the Second World War end?", "year", "1945", (), None, "The Second World War ended in 1945."),
    ("What is the boiling point of water in Fahrenheit?", "number", "212", (), None, "Water boils at 212 °F."),
    ("Is Sydney the capital of Australia?", "name", "Canberra", (), "cities", "The capital of Australia is Canberra."),
]


def demo_records() -> list[PromptRecord]:
    """The demo prompts with ids demo-001 onwards."""
    records = [PromptRecord(id="", prompt=p, category="howto", max_words=150) for p in HOWTO]
    records += [PromptRecord(id="", prompt=p, category="explanation", max_words=150) for p in EXPLANATION]
    records += [PromptRecord(id="", prompt=p, category="advice", max_words=150) for p in ADVICE]
    records += [PromptRecord(id="", prompt=p, category="safety", max_words=150, tags=("safety-sensitive",))
                for p in SAFETY]
    allowed = {"10080": (60.0, 24.0, 7.0, 1440.0, 168.0), "12": (0.15,), "1000": (1.0,), "212": (100.0, 32.0)}
    records += [
        PromptRecord(id="", prompt=p, category="fact", max_words=60, fact=Fact(
            kind=kind, answer=answer, aliases=aliases, vocabulary=vocabulary, sentence=sentence,
            allowed=allowed.get(answer, ()),
        ))
        for p, kind, answer, aliases, vocabulary, sentence in FACTS
    ]
    return [PromptRecord(id=f"demo-{i + 1:03d}", prompt=r.prompt, category=r.category, max_words=r.max_words,
                         fact=r.fact, tags=r.tags) for i, r in enumerate(records)]
